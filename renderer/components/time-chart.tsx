import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartLine {
  label: string;
  /** One of the theme's --tone-N colours. */
  tone: number;
  values: Float32Array;
  dash?: number[];
}

interface ChartProps {
  time: Float64Array;
  lines: ChartLine[];
  /** An axis tick or a legend value as text. */
  format(value: number): string;
  height: number;
  /** A fixed width; without one the chart fills its holder and follows its size. */
  width?: number;
  /** The y scale starts at 0 and reaches at least this (100 for a percentage). */
  floor?: number;
  /** A sparkline: no axes, legend or cursor. */
  bare?: boolean;
  label: string;
}

/** The narrowest time a chart spans, in seconds. */
const MIN_SPAN_S = 60;

let schemeQuery: MediaQueryList | undefined;
const darkScheme = () => (schemeQuery ??= window.matchMedia('(prefers-color-scheme: dark)'));

/** The system's scheme, one listener for every chart: a canvas has to be drawn again in the new colours. */
function subscribeScheme(changed: () => void): () => void {
  const scheme = darkScheme();
  scheme.addEventListener('change', changed);
  return () => scheme.removeEventListener('change', changed);
}
const useDarkScheme = () => useSyncExternalStore(subscribeScheme, () => darkScheme().matches);

/** One observer tells every chart when it first comes on screen. */
const onScreen = new Map<Element, () => void>();
let screenObserver: IntersectionObserver | undefined;
function whenOnScreen(element: Element, seen: () => void): () => void {
  screenObserver ??= new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      onScreen.get(entry.target)?.();
      forget(entry.target);
    }
  });
  const forget = (target: Element) => {
    onScreen.delete(target);
    screenObserver?.unobserve(target);
  };
  onScreen.set(element, seen);
  screenObserver.observe(element);
  return () => forget(element);
}

function options(props: ChartProps, width: number, color: (name: string) => string): uPlot.Options {
  const axis = { stroke: color('--muted'), grid: { stroke: color('--border'), width: 1 }, ticks: { show: false }, font: '11px system-ui, sans-serif' };
  return {
    width,
    height: props.height,
    // The card's header says the latest values; the legend is a key to the lines, when there are several.
    legend: { show: !props.bare && props.lines.length > 1, live: false },
    cursor: props.bare ? { show: false } : { drag: { x: false, y: false } },
    scales: {
      // A chart is at least a minute wide, so the first samples grow from the right; a sparkline shows the shape of what it has.
      x: { range: (_u, min, max) => [props.bare ? min : Math.min(min, max - MIN_SPAN_S), max] },
      y: { range: (_u, _min, max) => [0, Math.max(props.floor ?? 1, max * 1.1)] },
    },
    axes: props.bare
      ? [{ show: false }, { show: false }]
      : [axis, { ...axis, size: 64, values: (_u, ticks) => ticks.map((tick) => props.format(tick)) }],
    series: [
      {},
      ...props.lines.map((line) => ({
        label: line.label,
        stroke: color(`--tone-${line.tone}`),
        // A sparkline is a few pixels high: a light area under it is what makes it readable.
        fill: props.bare ? `${color(`--tone-${line.tone}`)}40` : undefined,
        width: props.bare ? 1 : 1.5,
        dash: line.dash,
        points: { show: false },
      })),
    ],
  };
}

/** The theme's colours by name, read once per scheme: reading styles as hundreds of rows mount would lay the page out each time. */
const palettes = new Map<boolean, Map<string, string>>();
function themeColor(dark: boolean, name: string): string {
  let palette = palettes.get(dark);
  if (!palette) palettes.set(dark, (palette = new Map()));
  let value = palette.get(name);
  if (value === undefined) palette.set(name, (value = getComputedStyle(document.documentElement).getPropertyValue(name).trim()));
  return value;
}

/**
 * A time series drawn by uPlot onto a canvas. The chart is made once it is first on screen (a long
 * list makes only the sparklines it shows) and again when the theme changes; each new sample only
 * hands it the arrays, which it draws in one pass.
 */
export function TimeChart(props: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const dark = useDarkScheme();
  const [seen, setSeen] = useState(false);
  const data = (): uPlot.AlignedData => [props.time, ...props.lines.map((line) => line.values)];
  const latest = useRef(data);
  latest.current = data;
  const shape = props.lines.map((line) => line.label).join('\n');

  useEffect(() => {
    const element = holder.current;
    if (!element || seen) return;
    return whenOnScreen(element, () => setSeen(true));
  }, [seen]);

  useEffect(() => {
    const element = holder.current;
    if (!element || !seen) return;
    const width = props.width ?? (element.clientWidth || 300);
    const made = new uPlot(options(props, width, (name) => themeColor(dark, name)), latest.current(), element);
    chart.current = made;
    // Without a set width the chart takes its holder's, which is the page's: follow it.
    const resize = props.width === undefined ? new ResizeObserver(() => made.setSize({ width: element.clientWidth, height: props.height })) : undefined;
    resize?.observe(element);
    return () => {
      resize?.disconnect();
      made.destroy();
      chart.current = null;
    };
    // Made again only for what changes its shape or colours; new samples go through setData below.
  }, [seen, dark, shape, props.height, props.width, props.bare]);

  useEffect(() => {
    chart.current?.setData(data());
  });

  return <div ref={holder} className={props.bare ? 'sparkline' : 'time-chart'} style={props.width ? { width: props.width, height: props.height } : undefined} role="img" aria-label={props.label} />;
}
