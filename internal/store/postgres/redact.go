package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/internal/store"
)

// migrationSteps are parts of migrations written in Go, each run in its
// migration's transaction right after the migration's SQL: recorded with
// it, they run once, and a replica that opens after the migration
// committed holds no row they left as it was.
var migrationSteps = map[int]func(context.Context, pgx.Tx) error{
	29: redactWebhookURLs,
	30: redactWorkflowURLs,
	31: redactHTTPTaskParameters,
}

// redactWebhookURLs is migration 0029's step: the audit entries and the
// deliveries' last errors that older versions wrote with a webhook's whole
// URL name it as new code does (store.RedactedAuditDetail, whose comment
// says why the audit log may be rewritten here). PostgreSQL has sha256(),
// but not Go's URL parsing, nor the shapes of the old messages: the same
// Go as SQLite's step keeps both stores' rows as new code writes them.
func redactWebhookURLs(ctx context.Context, tx pgx.Tx) error {
	err := rewriteRows(ctx, tx, `SELECT id, action, result, detail FROM audit_log
		WHERE action IN ('notify.subscribe', 'notify.confirm', 'notify.unsubscribe')
		OR (result <> 'ok' AND action = ANY($1))`,
		`UPDATE audit_log SET detail = $1 WHERE id = $2`, store.RedactedAuditDetail, store.SubscribeRoutes)
	if err != nil {
		return fmt.Errorf("redact the audit log's webhook URLs: %w", err)
	}
	err = rewriteRows(ctx, tx, `SELECT id, protocol, endpoint, last_error FROM notify_deliveries
		WHERE protocol <> 'email' AND last_error <> ''`,
		`UPDATE notify_deliveries SET last_error = $1 WHERE id = $2`,
		store.RedactedDeliveryError)
	if err != nil {
		return fmt.Errorf("redact the deliveries' webhook URLs: %w", err)
	}
	return nil
}

// rewriteRows runs query, whose rows are an id and three texts, and
// update (text, id) for each row whose text rewrite changes.
func rewriteRows(ctx context.Context, tx pgx.Tx, query, update string, rewrite func(a, b, text string) (string, bool), args ...any) error {
	type change struct {
		id   int64
		text string
	}
	var changes []change
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	var c change
	var a, b, text string
	_, err = pgx.ForEachRow(rows, []any{&c.id, &a, &b, &text}, func() error {
		if out, changed := rewrite(a, b, text); changed {
			changes = append(changes, change{c.id, out})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		if _, err := tx.Exec(ctx, update, c.text, c.id); err != nil {
			return err
		}
	}
	return nil
}
