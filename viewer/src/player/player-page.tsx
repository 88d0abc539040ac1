export function PlayerPage({ videoId }: { videoId: string }) {
  return (
    <section class="card">
      <a href="#/">← All videos</a>
      <p>Video {videoId}</p>
    </section>
  );
}
