import type { ColumnType } from 'kysely';

/** Column types as both engines return them: int8 parsed to number, date kept as 'YYYY-MM-DD'. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
