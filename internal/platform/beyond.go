package platform

import (
	"errors"
	"fmt"
)

// What reaches the managed tables from beyond them: a privilege granted on
// more than their schema (MariaDB's *.* or a database name pattern), and a
// membership in a role that holds privileges on them. Ending either also
// changes what the role holds on objects meshgate does not manage, so one
// rule, scope.ends, decides what meshgate ends by itself and what it only
// reports. The applier (enforce) and the plans (askPlatform) both follow it.

// ends reports whether meshgate ends by itself what reaches the managed
// tables from beyond them through role: it does for a per-user role (mg_…)
// that cannot log in, which exists only to carry meshgate's grants to the
// logins it is granted to, so that whatever else reaches the tables
// through it is drift, whatever it reaches elsewhere too. A fixed
// mapping's role is the organisation's own, and a role that can log in is
// someone's account: what they hold elsewhere is not meshgate's to change,
// and meshgate cannot tell what they hold on purpose from drift.
func (sc *scope) ends(role string, login bool) bool {
	return sc.rec.RoleMode != RolesFixed && sc.managed(role) && !login
}

// beyond sorts wide (privileges granted on more than the schema) and ms by
// scope.ends: it returns, by role, the statements that end them, and the
// reports of those meshgate leaves, which fail the role's grants until
// they are ended by hand.
func (sc *scope) beyond(wide []Privilege, ms []Membership) (end map[string][]string, report map[string]error) {
	end, report = map[string][]string{}, map[string]error{}
	for _, p := range wide {
		stmt := sc.d.RevokeOn(p.Role, p.On, p.Priv)
		if sc.ends(p.Role, false) {
			end[p.Role] = append(end[p.Role], stmt)
			continue
		}
		what := fmt.Sprintf("role %s holds %s, which covers database %s and others", p.Role, p.describe(), sc.schema)
		report[p.Role] = errors.Join(report[p.Role], sc.reported(p.Role, false, what, stmt, "the privilege on just the databases they need"))
	}
	for _, m := range ms {
		stmt := sc.d.RevokeRole(m.Role, m.Of)
		if sc.ends(m.Role, m.Login) {
			end[m.Role] = append(end[m.Role], stmt)
			continue
		}
		report[m.Role] = errors.Join(report[m.Role], sc.reported(m.Role, m.Login, m.describe(), stmt, "role "+m.Of))
	}
	return end, report
}

// reported says why meshgate leaves what (reaching the managed tables
// through role), and how to end it: stmt, and granting instead to the
// role's members what they need of it.
func (sc *scope) reported(role string, login bool, what, stmt, instead string) error {
	why := fmt.Sprintf("role %s is one a fixed mapping names, the organisation's own, and meshgate cannot tell what it holds on purpose from drift", role)
	how := fmt.Sprintf("; if its members need it, grant %s to their logins instead of to role %s, or map the principal to a role kept for meshgate's grants alone", instead, role)
	if login {
		why = fmt.Sprintf("role %s can log in: it is someone's account, even with meshgate's prefix", role)
		how = ""
	}
	return stillError{fmt.Sprintf("%s: meshgate ends what reaches the imported tables from beyond them only through a per-user role of its own, which cannot log in; %s. The role's grants stay failed until this is ended by hand, and are in force from the next apply or reconcile after: run %s%s",
		what, why, stmt, how)}
}
