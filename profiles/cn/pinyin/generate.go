package pinyin

//go:generate go run ./gen -out .
