package main

import (
	"fmt"
	"strconv"
	"time"
)

// Helpers the command groups share to print tables.

// printRows writes v as JSON with -o json, else a table with one row per item.
func printRows[T any](g *Globals, v any, header []string, items []T, row func(T) []string) error {
	return g.Print(v, header, func() [][]string { return rowsOf(items, row) })
}

// rowsOf turns items into table rows.
func rowsOf[T any](items []T, row func(T) []string) [][]string {
	rows := make([][]string, len(items))
	for i, it := range items {
		rows[i] = row(it)
	}
	return rows
}

// printPage writes one page of a listing as a table, then the token that
// fetches the next page, if there is one.
func printPage(g *Globals, header []string, rows [][]string, next string) error {
	if err := g.PrintTable(header, rows); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(g.stdout, "next token: %s\n", next)
	}
	return nil
}

// fmtTime formats a time for tables ("" for none).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// dbTable writes a database or one of its tables as database[.table].
func dbTable(database, table string) string {
	if table == "" {
		return database
	}
	return database + "." + table
}
