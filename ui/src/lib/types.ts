/** A chart line or stacked area. */
export interface Series { label: string; values: (number | null)[]; color: string; dash?: boolean }

/** A table column: `fmt` prints the value, `numeric` right-aligns it and sorts it as a number. */
export interface Column { key: string; label: string; fmt?: (v: any) => string; numeric?: boolean }
