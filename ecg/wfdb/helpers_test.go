package wfdb_test

import (
	"fmt"
	"strconv"
)

func fmtv(v any) string { return fmt.Sprintf("%#v", v) }
func itoa(i int) string { return strconv.Itoa(i) }
