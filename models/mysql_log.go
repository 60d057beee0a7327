package models

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// SetDriverLog sends the MySQL driver's own messages ("[mysql]
// packets.go:58 unexpected EOF" when a server goes away) to log as
// warnings, so that they follow --log-format and reach the journal with
// the rest instead of going raw to stderr. The driver keeps one logger
// for the process: the last call wins.
func SetDriverLog(log *slog.Logger) {
	_ = mysql.SetLogger(driverLog{log}) // fails only on a nil logger
}

type driverLog struct{ log *slog.Logger }

func (l driverLog) Print(v ...any) {
	l.log.Warn("mysql driver", "said", strings.TrimSpace(fmt.Sprint(v...)))
}
