/** A CSV record with the line it starts on (1-based), for messages that name it. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`CSV line ${line}: ${message}`);
  }
}

/**
 * Parses RFC 4180 CSV: comma-separated fields, double-quoted fields may hold commas, line breaks
 * and doubled quotes; CRLF or LF line ends; a leading byte-order mark is ignored; blank lines are
 * skipped. A quote that is never closed, or text after a closing quote, is a CsvError naming the
 * line. At most `maxRecords` records are read (more: a CsvError) so a huge file costs no more.
 */
export function parseCsv(text: string, maxRecords: number, tooMany = `more than ${maxRecords} lines`): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new CsvError(start, 'a quoted field is never closed');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw new CsvError(line, 'text after a closing quote (double the quote inside a quoted field: "")');
      } else {
        const end = nextDelimiter(text, i);
        field = text.slice(i, end);
        if (field.includes('"')) throw new CsvError(line, 'a quote inside an unquoted field (quote the whole field)');
        i = end;
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      // End of the record: CRLF, LF or the end of the text.
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    if (records.length === maxRecords) throw new CsvError(start, tooMany);
    records.push({ line: start, fields });
  }
  return records;
}

function nextDelimiter(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 /* , */ || c === 10 /* \n */ || c === 13 /* \r */) return i;
  }
  return text.length;
}

/** One field for a CSV file: quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
