package store

// Exported for the external tests.
var (
	EncodeKey = encodeKey
	DecodeKey = decodeKey
)
