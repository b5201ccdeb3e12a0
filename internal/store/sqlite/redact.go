package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/internal/store"
)

// migrationSteps are parts of migrations written in Go, each run in its
// migration's transaction right after the migration's SQL: recorded with
// it, they run once, and a store that opens after the migration committed
// holds no row they left as it was.
var migrationSteps = map[int]func(context.Context, *sql.Tx) error{
	27: redactWebhookURLs,
	28: redactWorkflowURLs,
	29: redactHTTPTaskParameters,
}

// redactWebhookURLs is migration 0027's step: the audit entries and the
// deliveries' last errors that older versions wrote with a webhook's whole
// URL name it as new code does (store.RedactedAuditDetail, whose comment
// says why the audit log may be rewritten here). SQLite's SQL has no
// SHA-256 to compute the digest with.
func redactWebhookURLs(ctx context.Context, tx *sql.Tx) error {
	routes := make([]any, len(store.SubscribeRoutes))
	for i, r := range store.SubscribeRoutes {
		routes[i] = r
	}
	err := rewriteRows(ctx, tx, `SELECT id, action, result, detail FROM audit_log
		WHERE action IN ('notify.subscribe', 'notify.confirm', 'notify.unsubscribe')
		OR (result <> 'ok' AND action IN (?`+strings.Repeat(", ?", len(routes)-1)+`))`,
		`UPDATE audit_log SET detail = ? WHERE id = ?`, store.RedactedAuditDetail, routes...)
	if err != nil {
		return fmt.Errorf("redact the audit log's webhook URLs: %w", err)
	}
	err = rewriteRows(ctx, tx, `SELECT id, protocol, endpoint, last_error FROM notify_deliveries
		WHERE protocol <> 'email' AND last_error <> ''`,
		`UPDATE notify_deliveries SET last_error = ? WHERE id = ?`,
		store.RedactedDeliveryError)
	if err != nil {
		return fmt.Errorf("redact the deliveries' webhook URLs: %w", err)
	}
	return nil
}

// rewriteRows runs query, whose rows are an id and three texts, and
// update (text, id) for each row whose text rewrite changes.
func rewriteRows(ctx context.Context, tx *sql.Tx, query, update string, rewrite func(a, b, text string) (string, bool), args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	type change struct {
		id   int64
		text string
	}
	var changes []change
	for rows.Next() {
		var c change
		var a, b, text string
		if err := rows.Scan(&c.id, &a, &b, &text); err != nil {
			rows.Close()
			return err
		}
		if c.text, _ = rewrite(a, b, text); c.text != text {
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, update, c.text, c.id); err != nil {
			return err
		}
	}
	return nil
}
