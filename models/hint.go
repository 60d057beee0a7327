package models

import "fmt"

func postgresHint(t Target, err error) error { return fmt.Errorf("connect to %s: %w", t, err) }
func mysqlHint(t Target, err error) error    { return fmt.Errorf("connect to %s: %w", t, err) }
