package models

import (
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// diagnose explains the error numbers of the usual operator mistakes.
func (*mysqlDialect) diagnose(t Target, err error) *ServerError {
	var my *mysql.MySQLError
	if !errors.As(err, &my) {
		return nil
	}
	fail := func(problem, hint string) *ServerError {
		return &ServerError{Target: t.String(), Problem: problem, Hint: hint, Err: err}
	}
	switch my.Number {
	case 1045:
		return fail(fmt.Sprintf("access denied for user %q", t.User), "fix the user or password in the URL (escape @, : and / in it as %40, %3A and %2F), or check the user's allowed hosts")
	case 1049:
		return fail(fmt.Sprintf("database %q does not exist", t.Database), fmt.Sprintf("create it (CREATE DATABASE %s CHARACTER SET utf8mb4) or fix the name in the URL", t.Database))
	}
	return nil
}

// denied: access denied to a database, a command or a column.
func (*mysqlDialect) denied(err error) bool {
	var my *mysql.MySQLError
	return errors.As(err, &my) && (my.Number == 1044 || my.Number == 1142 || my.Number == 1143)
}

// grant: MySQL grants CREATE per database. An empty privilege is
// everything sluice needs.
func (*mysqlDialect) grant(t Target, privilege, table string) string {
	switch privilege {
	case "":
		return fmt.Sprintf("GRANT CREATE, SELECT, INSERT, UPDATE, CREATE TEMPORARY TABLES ON %s.* TO %s", t.Database, t.User)
	case "CREATE":
		return fmt.Sprintf("GRANT CREATE, INDEX, CREATE TEMPORARY TABLES ON %s.* TO '%s'@'<host>'", t.Database, t.User)
	}
	return fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON %s.%s TO '%s'@'<host>'", t.Database, table, t.User)
}

// unreachable: the driver's own word for a connection that broke.
func mysqlUnreachable(err error) bool { return errors.Is(err, mysql.ErrInvalidConn) }

func (*mysqlDialect) addPrimaryKey(ds *Dataset) string { return alterAddPrimaryKey(ds) }
