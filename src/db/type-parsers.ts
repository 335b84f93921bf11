import pg from 'pg';

/**
 * Both engines return the same JavaScript values: int8 (ids, counts) as number — ids stay far below
 * 2^53 — and `date` as the 'YYYY-MM-DD' text it is, never a Date shifted by the server's time zone.
 */
const INT8 = 20;
const INT8_ARRAY = 1016;
const DATE = 1082;

const parseInt8Array = (value: string): number[] =>
  (pg.types.getTypeParser(INT8_ARRAY as never) as (v: string) => string[])(value).map(Number);

export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === INT8_ARRAY) return parseInt8Array;
    if (oid === DATE) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export const pgliteParsers = {
  [INT8]: (v: string) => Number(v),
  [DATE]: (v: string) => v,
};
