// Command gendocs writes clilogin's command reference from its command
// table: one Markdown page per command (-md DIR, checked in as docs/cli and
// checked for staleness by `make lint`) and one man page per command
// (-man DIR, section 1, written at release time). Run it with `make docs`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/clilogin/clilogin/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gendocs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	md := fs.String("md", "", "write the Markdown reference into `DIR`")
	man := fs.String("man", "", "write the man pages (section 1) into `DIR`")
	date := fs.String("date", "", "the man pages' date, YYYY-MM-DD (required with -man: a release's commit date, so that a build is reproducible)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := generate(*md, *man, *date); err != nil {
		fmt.Fprintf(stderr, "gendocs: error: %v\n", err)
		return 1
	}
	return 0
}

func generate(mdDir, manDir, date string) error {
	if mdDir == "" && manDir == "" {
		return errors.New("nothing to do: give -md DIR, -man DIR or both")
	}
	root := cli.Reference()
	noAutoGenTag(root)
	if mdDir != "" {
		if err := os.MkdirAll(mdDir, 0o755); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(root, mdDir); err != nil {
			return fmt.Errorf("markdown: %w", err)
		}
	}
	if manDir != "" {
		day, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return fmt.Errorf("-date %q: want YYYY-MM-DD", date)
		}
		if err := os.MkdirAll(manDir, 0o755); err != nil {
			return err
		}
		header := &doc.GenManHeader{Section: "1", Date: &day, Source: "clilogin", Manual: "clilogin manual"}
		if err := doc.GenManTree(root, header, manDir); err != nil {
			return fmt.Errorf("man pages: %w", err)
		}
	}
	return nil
}

// noAutoGenTag drops cobra's "Auto generated … on <date>" line from every
// page, so that the same command table always gives the same files.
func noAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		noAutoGenTag(sub)
	}
}
