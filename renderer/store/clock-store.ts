import { create } from 'zustand';

interface ClockState {
  now: number;
}

/** One shared clock for uptimes: leaves select the text they show, so only changed text re-renders. */
export const useClock = create<ClockState>()(() => ({ now: Date.now() }));

export function startClock(): () => void {
  const timer = setInterval(() => useClock.setState({ now: Date.now() }), 1_000);
  return () => clearInterval(timer);
}
