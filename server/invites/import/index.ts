/** Input side of templated bulk invites: upload sniffing, decoding, parsing, column mapping, row normalisation. */
export { sniffUpload, tooManyRows, MAX_IMPORT_ROWS, MAX_UPLOAD_BYTES, type SniffResult, type SniffRejectionCode } from './sniff-upload.js'
export { decodeCsvBytes, type CsvEncoding, type DecodedText } from './decode-text.js'
export { parseCsv, summarizeCsv, type CsvDelimiter, type CsvProblem, type CsvProblemCode, type CsvSummary, type ParsedCsv } from './parse-csv.js'
export { summarizeTable, type TableSummary } from './table-summary.js'
export { parseXlsx, XlsxParseError, MAX_XLSX_XML_BYTES, type ParsedXlsx, type XlsxErrorCode } from './parse-xlsx.js'
export { parsePaste, type PasteItem } from './parse-paste.js'
export {
  detectMapping,
  validateMapping,
  fieldForHeader,
  normalizeHeader,
  type DetectedMapping,
  type MappingProblem,
  type MappingProblemCode,
  type MappingValidation,
} from './map-columns.js'
export { eachNormalizedRow, normalizeRows, type NormalizedRow, type RowIssue, type RowIssueCode } from './normalize-rows.js'
export {
  STANDARD_FIELDS,
  isFieldKey,
  type ColumnMapping,
  type FieldKey,
  type StandardField,
  type UserFieldKey,
} from './field-keys.js'
export type { DepartmentRef, GroupRef, Language } from './field-values.js'
export { normalizeEmail, normalizePhone } from './contact-values.js'
