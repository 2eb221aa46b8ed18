package audit

// ComputeHash lets the tests forge a row whose hash is right, as an
// attacker who knows the canonical form could.
func ComputeHash(e *Event) string { return e.computeHash() }
