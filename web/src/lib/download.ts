/** Hands the browser a file made here (a CSV report, an invoice PDF) to save or open. */
export function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const saveText = (name: string, text: string, type = 'text/csv;charset=utf-8'): void =>
  saveBlob(name, new Blob([text], { type }));

export function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Saves a PDF the API sent as base64 (an invoice, a packing slip). */
export const savePdf = (name: string, b64: string): void =>
  saveBlob(name, new Blob([base64Bytes(b64)], { type: 'application/pdf' }));

/** `YYYY-MM` of a date in UTC, `months` months before it (0: its own month). */
export function monthOf(d: Date, monthsBefore = 0): string {
  const m = d.getUTCFullYear() * 12 + d.getUTCMonth() - monthsBefore;
  return `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
}
