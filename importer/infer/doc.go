// Package infer guesses a job's declaration from a CSV file: its
// delimiter and encoding (Sniff), each column's name, type, format and
// whether it is required (Guesser), and the natural key (KeyScan), over
// every row it is shown. It reads no file itself: the importer streams
// the records through its own Reader, and checks each guess with its own
// converters (a Checker), so a rule about what a cell may hold has one
// owner. Render writes the result as a commented config.yaml.
package infer
