/** A small RFC 4180 CSV reader for the package's own files (header row, `\n` or `\r\n` line ends). */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') (field += '"'), (i += 2);
        else (quoted = false), i++;
      } else (field += c), i++;
    } else if (c === '"') (quoted = true), i++;
    else if (c === ",") record.push(field), (field = ""), i++;
    else if (c === "\n" || c === "\r") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else (field += c), i++;
  }
  if (field !== "" || record.length > 0) (record.push(field), records.push(record));
  const [header = [], ...rows] = records;
  return { header, rows };
}
