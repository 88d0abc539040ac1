import type { ComponentChildren } from 'preact';

/** A message a person reads: errors are announced to screen readers as alerts. */
export function Notice({ kind, children, onClose }: { kind: 'error' | 'info'; children: ComponentChildren; onClose?: () => void }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <span>{children}</span>
      {onClose && (
        <button type="button" class="link" aria-label="Dismiss" onClick={onClose}>
          ×
        </button>
      )}
    </div>
  );
}
