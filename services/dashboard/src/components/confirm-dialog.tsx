import { type ReactNode, useEffect, useRef, useState } from 'react';

interface Props {
  /** What the button says; the dialog asks before `action` runs and shows its outcome. */
  label: string;
  title: string;
  body: ReactNode;
  action: () => Promise<string>;
  danger?: boolean;
  /** Why the command does not apply now; the button stays (and keeps its dialog) but is disabled. */
  unavailable?: string;
  onDone?: () => void;
}

/** A command button: a modal <dialog> (focus trapped, Esc closes) confirms, then shows the result. */
export function ConfirmButton({ label, title, body, action, danger, unavailable, onDone }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [phase, setPhase] = useState<'ask' | 'busy' | 'done'>('ask');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const onClose = () => {
      if (phase === 'done') onDone?.();
      setPhase('ask');
      setOutcome(undefined);
    };
    dialog.addEventListener('close', onClose);
    return () => dialog.removeEventListener('close', onClose);
  }, [phase, onDone]);

  const run = async () => {
    setPhase('busy');
    try {
      setOutcome({ ok: true, text: await action() });
    } catch (error) {
      setOutcome({ ok: false, text: error instanceof Error ? error.message : String(error) });
    }
    setPhase('done');
  };

  return (
    <>
      <button
        type="button"
        className={danger ? 'danger' : undefined}
        disabled={unavailable !== undefined}
        title={unavailable}
        onClick={() => ref.current?.showModal()}
      >
        {label}
      </button>
      <dialog ref={ref} aria-label={title}>
        <h2>{title}</h2>
        <div>{body}</div>
        {outcome && (
          <p role="status" className={outcome.ok ? 'ok' : 'error'}>
            {outcome.text}
          </p>
        )}
        <div className="actions">
          {phase !== 'done' && (
            <button
              type="button"
              className={danger ? 'danger' : 'primary'}
              disabled={phase === 'busy'}
              onClick={run}
            >
              {phase === 'busy' ? 'Sending…' : `Confirm: ${label}`}
            </button>
          )}
          <button type="button" onClick={() => ref.current?.close()}>
            {phase === 'done' ? 'Close' : 'Cancel'}
          </button>
        </div>
      </dialog>
    </>
  );
}
