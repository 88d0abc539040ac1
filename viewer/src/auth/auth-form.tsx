import { useState } from 'preact/hooks';
import { messageOf } from '../api/http';
import { Notice } from '../ui/notice';
import { session } from './session';

/** Sign in, or create an account (the API's accounts and tokens). */
export function AuthForm({ message }: { message: string | null }) {
  const [mode, setMode] = useState<'signin' | 'register'>('signin');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const username = (form.elements.namedItem('username') as HTMLInputElement).value.trim();
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    setBusy(true);
    setError(null);
    try {
      if (mode === 'register') await session.register(username, password);
      else await session.signIn(username, password);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="auth">
      <h1>video-detect</h1>
      <p class="muted">Find the objects in your videos, frame by frame.</p>
      {message && !error && <Notice kind="info">{message}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <form onSubmit={(e) => void submit(e)} class="card">
        <h2>{mode === 'signin' ? 'Sign in' : 'Create an account'}</h2>
        <label>
          Username
          <input name="username" autocomplete="username" required minLength={3} maxLength={64} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete={mode === 'signin' ? 'current-password' : 'new-password'} required minLength={mode === 'register' ? 8 : 1} />
        </label>
        <button type="submit" disabled={busy}>
          {mode === 'signin' ? 'Sign in' : 'Create account'}
        </button>
        <button type="button" class="link" onClick={() => (setMode(mode === 'signin' ? 'register' : 'signin'), setError(null))}>
          {mode === 'signin' ? 'No account yet? Create one' : 'Have an account? Sign in'}
        </button>
      </form>
    </div>
  );
}
