import { describe, expect, it } from 'vitest';
import { statusFromWslCode } from './wsl-diagnosis.js';
import { decodeWslText, wslErrorCode } from './wsl-exe.js';

const ERROR = 'WSL2 kann nicht gestartet werden.\r\nError code: Wsl/Service/CreateInstance/CreateVm/HCS/HCS_E_HYPERV_NOT_INSTALLED\r\n';

describe('what wsl.exe says about itself', () => {
  it('decodes UTF-16LE (with or without a BOM) and UTF-8 alike', () => {
    const text = '  NAME      STATE           VERSION\n* berth     Stopped         2\n';
    expect(decodeWslText(Buffer.from(text, 'utf16le'))).toBe(text);
    expect(decodeWslText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))).toBe(text);
    expect(decodeWslText(Buffer.from(text, 'utf8'))).toBe(text);
    expect(decodeWslText(Buffer.from('Größe ändern', 'utf8'))).toBe('Größe ändern');
    expect(decodeWslText(Buffer.from('Größe ändern', 'utf16le'))).toBe('Größe ändern');
    expect(decodeWslText(Buffer.alloc(0))).toBe('');
  });

  it('reads the error code, not the localized words', () => {
    expect(wslErrorCode(decodeWslText(Buffer.from(ERROR, 'utf16le')))).toBe('Wsl/Service/CreateInstance/CreateVm/HCS/HCS_E_HYPERV_NOT_INSTALLED');
    expect(wslErrorCode('There is no distribution with the supplied name.\nError code: Wsl/Service/WSL_E_DISTRO_NOT_FOUND')).toBe('Wsl/Service/WSL_E_DISTRO_NOT_FOUND');
    expect(wslErrorCode('Usage: wsl.exe [Argument] [Options...] [CommandLine]')).toBeUndefined();
  });

  it('turns each code into its own state and fix', () => {
    const off = statusFromWslCode('Wsl/Service/CreateInstance/CreateVm/HCS/HCS_E_HYPERV_NOT_INSTALLED');
    expect(off.state).toBe('virtualization-off');
    expect(off.fix).toMatch(/firmware/);
    const noWsl2 = statusFromWslCode('Wsl/Service/CreateInstance/CreateVm/HCS/HCS_E_SERVICE_NOT_AVAILABLE');
    expect(noWsl2.state).toBe('wsl2-unavailable');
    expect(noWsl2.fix).toMatch(/--install --no-distribution/);
    const other = statusFromWslCode('Wsl/Service/E_UNEXPECTED');
    expect(other.state).toBe('wsl-error');
    expect(other.message).toContain('Wsl/Service/E_UNEXPECTED');
  });
});
