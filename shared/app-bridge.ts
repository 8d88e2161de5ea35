/** The channel of the one thing the app window may ask of the desktop besides the contract: a folder picker. */
export const PICK_FOLDER_CHANNEL = 'berth:pick-folder';
/** The desktop tells the window to show a page (a notification was clicked): the page's hash. */
export const OPEN_PAGE_CHANNEL = 'berth:open-page';

/**
 * What the preload exposes as `window.berthApp` in the desktop app (absent in browser mode): the
 * system's folder picker, answering the folder chosen, or undefined when it was cancelled; and the
 * pages the desktop asks the window to show.
 */
export interface AppBridge {
  pickFolder(): Promise<string | undefined>;
  /** Calls `listener` with each page's hash (`#/containers/ID/overview`); answers how to stop. */
  onOpenPage(listener: (hash: string) => void): () => void;
}
