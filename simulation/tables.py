"""Struct-of-arrays tables: one NumPy array per column, one row per agent."""

import numpy as np
import pandas as pd


class Table:
    """Columns of equal length, addressed by name; agents are rows."""

    def __init__(self, name: str, columns: dict[str, np.ndarray]):
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"table {name}: columns differ in length {sorted(lengths)}")
        self.name = name
        self.columns = {k: np.asarray(v) for k, v in columns.items()}
        self.n = lengths.pop() if lengths else 0

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    def __setitem__(self, column: str, values: np.ndarray) -> None:
        values = np.asarray(values)
        if values.shape[0] != self.n:
            raise ValueError(f"table {self.name}: column {column} has {values.shape[0]} rows, "
                             f"expected {self.n}")
        self.columns[column] = values

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def __len__(self) -> int:
        return self.n

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: v for k, v in self.columns.items() if v.ndim == 1})


class Column:
    """Descriptor: an agent attribute that is a view onto its row of a model table.

    `Column()` reads the agent's own type table at `agent.row`; `Column("customers")` reads
    the shared customer table at `agent.customer`; `column=` names a differently named column.
    """

    def __init__(self, table: str | None = None, column: str | None = None):
        self.table = table
        self.column = column

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.column or name

    def _where(self, agent) -> tuple[Table, int]:
        if self.table == "customers":
            return agent.model.customers, agent.customer
        return agent.model.tables[agent.table_name], agent.row

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        table, row = self._where(agent)
        value = table[self.name][row]
        return value.item() if isinstance(value, np.generic) else value

    def __set__(self, agent, value) -> None:
        table, row = self._where(agent)
        table[self.name][row] = value
