import { RANGES, type Range } from '../api/types';

export function readRange(value: string | null, fallback: Range = '1h'): Range {
  return (RANGES as readonly string[]).includes(value ?? '') ? (value as Range) : fallback;
}

/** Grafana's quick ranges: a button group, the current one marked for screen readers too. */
export function RangePicker({ value, onChange }: { value: Range; onChange: (range: Range) => void }) {
  return (
    <fieldset className="segmented">
      <legend className="visually-hidden">Time range</legend>
      {RANGES.map((range) => (
        <button key={range} type="button" aria-pressed={range === value} onClick={() => onChange(range)}>
          {range}
        </button>
      ))}
    </fieldset>
  );
}
