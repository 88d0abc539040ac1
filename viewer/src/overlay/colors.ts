/**
 * One colour per class, the same in the overlay, the legend, the tracks list and the chart: a hue
 * from the label (a string hash, stepped by the golden angle so different labels differ clearly;
 * labels, not class ids, since the summary names classes by label only), fully saturated and
 * mid-light so it shows on dark and light footage. DOM-free, so the browser tests compute the
 * colour they look for with the same function.
 */
export function classColor(label: string): [number, number, number] {
  let hash = 0;
  for (const ch of label) hash = (Math.imul(hash, 31) + ch.codePointAt(0)!) >>> 0;
  return hslToRgb(((hash % 1000) * 137.508) % 360, 0.9, 0.5);
}

export const cssColor = ([r, g, b]: [number, number, number], alpha = 1): string => (alpha === 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`);

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
