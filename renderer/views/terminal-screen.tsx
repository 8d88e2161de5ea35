import { useEffect, useRef } from 'react';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { client } from '../api/client.js';
import { describeError } from '../api/error-text.js';
import { decodeBase64, encodeBase64 } from '../format/base64.js';
import { useTerminals } from '../store/terminals-store.js';

/** The search addon of each shown session, for the panel's search box. */
export const terminalSearches = new Map<string, SearchAddon>();

const LIGHT: ITheme = {
  background: '#ffffff',
  foreground: '#1c2128',
  cursor: '#2f6fed',
  cursorAccent: '#ffffff',
  selectionBackground: '#c9dafc',
  black: '#1c2128',
  red: '#c42b2b',
  green: '#1a7f45',
  yellow: '#9a6200',
  blue: '#2f6fed',
  magenta: '#a23fc4',
  cyan: '#0f7c8c',
  white: '#6b7483',
  brightBlack: '#4b5563',
  brightRed: '#d9443f',
  brightGreen: '#23914f',
  brightYellow: '#b07400',
  brightBlue: '#255fd4',
  brightMagenta: '#b552d6',
  brightCyan: '#148e9f',
  brightWhite: '#8b95a4',
};

const DARK: ITheme = {
  background: '#0f1216',
  foreground: '#e5e8ed',
  cursor: '#6a9dff',
  cursorAccent: '#0f1216',
  selectionBackground: '#2b3f63',
  black: '#262c35',
  red: '#f26d6d',
  green: '#3fbf74',
  yellow: '#e0a43a',
  blue: '#4d8bff',
  magenta: '#c77dea',
  cyan: '#42bccd',
  white: '#c3ccda',
  brightBlack: '#8b95a4',
  brightRed: '#ff8a8a',
  brightGreen: '#6fd69b',
  brightYellow: '#f0b65a',
  brightBlue: '#6a9dff',
  brightMagenta: '#d99cf2',
  brightCyan: '#6fd3e0',
  brightWhite: '#ffffff',
};

const darkScheme = () => window.matchMedia('(prefers-color-scheme: dark)');

const utf8 = new TextEncoder();

/**
 * Ctrl+Shift+C copies the selection and Ctrl+Shift+V pastes, as in Linux and Windows terminals;
 * plain Ctrl+C and Ctrl+V stay the shell's. (On macOS, Cmd+C and Cmd+V already reach xterm's own
 * copy and paste.) Returns false for the keys it took, so xterm does not send them on.
 */
function clipboardKey(term: Terminal, event: KeyboardEvent): boolean {
  if (!event.ctrlKey || !event.shiftKey || event.altKey || event.metaKey) return true;
  if (event.code !== 'KeyC' && event.code !== 'KeyV') return true;
  event.preventDefault();
  if (event.type !== 'keydown') return false;
  if (event.code === 'KeyC') {
    const selection = term.getSelection();
    if (selection) navigator.clipboard.writeText(selection).catch(() => {});
  } else {
    // term.paste honours bracketed paste mode and sends line ends as the shell expects.
    navigator.clipboard.readText().then((text) => term.paste(text), () => {});
  }
  return false;
}

/**
 * One session on screen. Output goes to xterm as bytes, never decoded here, so a character split
 * across chunks arrives whole; typed text goes back as its UTF-8 bytes. Unmounting detaches: the
 * session keeps running in the engine, and the next attach replays its scrollback.
 */
export function TerminalScreen({ sessionId, visible }: { sessionId: string; visible: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | undefined>(undefined);

  useEffect(() => {
    const element = host.current!;
    const scheme = darkScheme();
    const term = new Terminal({
      fontFamily: "ui-monospace, 'SF Mono', 'Cascadia Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      cursorBlink: true,
      scrollback: 10_000,
      theme: scheme.matches ? DARK : LIGHT,
    });
    terminal.current = term;
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(new WebLinksAddon((_event, uri) => window.open(uri, '_blank', 'noopener,noreferrer')));
    term.open(element);
    terminalSearches.set(sessionId, search);

    const onScheme = () => (term.options.theme = scheme.matches ? DARK : LIGHT);
    scheme.addEventListener('change', onScheme);

    const send = (bytes: Uint8Array) => {
      if (bytes.length > 0) client.notify('terminal.input', { sessionId, base64: encodeBase64(bytes) });
    };
    const typed = term.onData((data) => send(utf8.encode(data)));
    term.attachCustomKeyEventHandler((event) => clipboardKey(term, event));
    // Some mouse reports are bytes above 127 that are not UTF-8: sent as they are.
    const binary = term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));

    // The session follows the panel: fit to the space given, and tell the engine when that changes.
    let sent = '';
    const resize = () => {
      if (element.clientWidth === 0 || element.clientHeight === 0) return; // a hidden tab keeps its size
      fit.fit();
      element.dataset.cols = String(term.cols);
      element.dataset.rows = String(term.rows);
      const size = `${term.cols}x${term.rows}`;
      if (size === sent) return;
      sent = size;
      client.notify('terminal.resize', { sessionId, cols: term.cols, rows: term.rows });
    };
    const observer = new ResizeObserver(() => resize());
    observer.observe(element);

    let abort = new AbortController();
    let stopWaiting = () => {};
    const attach = () => {
      const signal = abort.signal;
      client
        .call('terminal.attach', { sessionId }, { signal, onItem: ({ base64 }) => term.write(decodeBase64(base64)) })
        .then(({ exitCode }) => {
          if (signal.aborted || exitCode === null) return;
          term.write(`\r\n\x1b[2m[process exited with code ${exitCode}]\x1b[0m\r\n\x1b[?25l`);
          term.options.disableStdin = true;
          term.options.cursorBlink = false;
          useTerminals.getState().exited(sessionId, exitCode);
        })
        .catch((error: unknown) => {
          if (signal.aborted) return;
          if (client.status !== 'open') {
            // The link dropped: attach again once it is back; the replay redraws the screen from the start.
            stopWaiting = client.onStatus((status) => {
              if (status !== 'open') return;
              stopWaiting();
              term.reset();
              abort = new AbortController();
              attach();
            });
            return;
          }
          term.write(`\r\n\x1b[2m[${describeError(error).detail}]\x1b[0m\r\n`);
        });
    };
    attach();

    return () => {
      abort.abort();
      stopWaiting();
      observer.disconnect();
      scheme.removeEventListener('change', onScheme);
      typed.dispose();
      binary.dispose();
      terminalSearches.delete(sessionId);
      terminal.current = undefined;
      term.dispose();
    };
  }, [sessionId]);

  useEffect(() => {
    if (visible) terminal.current?.focus();
  }, [visible]);

  return <div ref={host} className="terminal-screen" hidden={!visible} data-session-id={sessionId} />;
}
