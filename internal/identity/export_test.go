package identity

// WatchPasswordChecks calls f with the argon2 costs (memory KiB, passes,
// threads) of every password check until the returned stop is called. Not
// safe for parallel tests.
func WatchPasswordChecks(f func(memory, time uint32, threads uint8)) (stop func()) {
	verifyHook = func(p argonParams) { f(p.Memory, p.Time, p.Threads) }
	return func() { verifyHook = nil }
}
