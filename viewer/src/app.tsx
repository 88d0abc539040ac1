import { useEffect, useState } from 'preact/hooks';
import { session } from './auth/session';
import { AuthForm } from './auth/auth-form';
import { PlayerPage } from './player/player-page';
import { useHashRoute } from './ui/use-hash-route';
import { VideosPage } from './videos/videos-page';

export function App() {
  const [signedIn, setSignedIn] = useState(session.accessToken !== null);
  const [message, setMessage] = useState<string | null>(null);
  const route = useHashRoute();
  useEffect(
    () =>
      session.onChange((isIn, why) => {
        setSignedIn(isIn);
        setMessage(why);
      }),
    [],
  );

  if (!signedIn) return <AuthForm message={message} />;
  const videoId = /^\/videos\/([0-9a-f-]{36})$/.exec(route)?.[1];
  return (
    <div class="shell">
      <header class="topbar">
        <a href="#/" class="brand">
          video-detect
        </a>
        <span class="spacer" />
        <span class="user">{session.username}</span>
        <button type="button" class="secondary" onClick={() => session.signOut()}>
          Sign out
        </button>
      </header>
      <main>{videoId ? <PlayerPage key={videoId} videoId={videoId} /> : <VideosPage />}</main>
    </div>
  );
}
