//go:build race

package route

// raceEnabled is true when tests run under the race detector, which makes
// sync.Pool (used by regexp) drop items at random, so that allocation counts
// of regexp matching are meaningless.
const raceEnabled = true
