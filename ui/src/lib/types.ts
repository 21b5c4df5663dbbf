/** A chart line or stacked area. */
export interface Series {
  label: string
  values: (number | null)[]
  color: string
  dash?: boolean
}

/** A value a table cell shows. */
export type Cell = number | string | null | undefined

/** A table column: `fmt` prints the value, `numeric` right-aligns it and sorts it as a number. */
export interface Column {
  key: string
  label: string
  fmt?: (v: Cell) => string
  numeric?: boolean
}
