/*
 * Role colors on names stay readable in both themes. Discord shows a role's color as it is;
 * here a color too close to the background (a dark blue on the dark theme, a yellow on the
 * light one) is blended toward the theme's text color until it reaches WCAG AA's 4.5:1.
 */

type Rgb = [number, number, number];

/** The backgrounds and text colors names sit on (styles/base.css). */
export const THEME_COLORS = {
  light: { background: '#ffffff', text: '#111827' },
  dark: { background: '#15171c', text: '#e8eaed' },
} as const;

const MIN_CONTRAST = 4.5;

function parse(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const format = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

function luminance([r, g, b]: Rgb): number {
  const [lr, lg, lb] = [r, g, b].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lr! + 0.7152 * lg! + 0.0722 * lb!;
}

/** WCAG contrast ratio of two #rrggbb colors (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [la, lb] = [luminance(parse(a)), luminance(parse(b))];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** The color as is when it reads well enough on the theme's background, else the least blend toward the text color that does. */
export function readableColor(color: string, theme: keyof typeof THEME_COLORS): string {
  const { background, text } = THEME_COLORS[theme];
  if (contrastRatio(color, background) >= MIN_CONTRAST) return color;
  const [from, to] = [parse(color), parse(text)];
  for (let step = 1; step <= 10; step++) {
    const t = step / 10;
    const blended = format(from.map((c, i) => c + (to[i]! - c) * t) as Rgb);
    if (contrastRatio(blended, background) >= MIN_CONTRAST) return blended;
  }
  return text;
}
