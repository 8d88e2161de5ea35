/** The channel of the one thing the app window may ask of the desktop besides the contract: a folder picker. */
export const PICK_FOLDER_CHANNEL = 'berth:pick-folder';

/**
 * What the preload exposes as `window.berthApp` in the desktop app (absent in browser mode): the
 * system's folder picker, answering the folder chosen, or undefined when it was cancelled.
 */
export interface AppBridge {
  pickFolder(): Promise<string | undefined>;
}
