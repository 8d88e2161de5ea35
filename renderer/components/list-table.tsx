import type { ReactNode } from 'react';

export interface Column {
  /** Names the column's width class, `col-<key>` (in styles/table.css). */
  key: string;
  label: string;
  numeric?: boolean;
  /** Said to screen readers only (the actions column). */
  hidden?: boolean;
}

/** A view's table: fixed column widths, a header row, and the rows given as children. */
export function ListTable({ className, columns, children }: { className: string; columns: readonly Column[]; children: ReactNode }) {
  return (
    <div className="table-scroll">
      <table className={`table ${className}`}>
        <colgroup>
          {columns.map((column) => (
            <col key={column.key} className={`col-${column.key}`} />
          ))}
        </colgroup>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.key} scope="col" className={column.numeric ? 'cell-num' : undefined}>
                {column.hidden ? <span className="sr-only">{column.label}</span> : column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
