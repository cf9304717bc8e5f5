package r4

//go:generate go run ./gen -out .
