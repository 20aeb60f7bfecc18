import type { InputHTMLAttributes } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>;

/** A labelled input on a row of command buttons: the label's text, then the input, one line. */
export function InlineField({
  label,
  value,
  onChange,
  ...input
}: InputProps & { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <label className="inline">
      {label} <input {...input} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** A narrow whole-number InlineField (pool sizes, autoscale bounds, seconds). */
export function NumberField(props: Parameters<typeof InlineField>[0]) {
  return <InlineField type="number" className="narrow" {...props} />;
}
