package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestScratchBare(t *testing.T) {
	for _, br := range browsers() {
		for i := 0; i < 3; i++ {
			d := t.TempDir()
			profile := filepath.Join(d, "profile")
			actx, acancel := chromedp.NewExecAllocator(context.Background(), bareOptions(br.path, profile)...)
			bctx, bcancel := chromedp.NewContext(actx)
			t0 := time.Now()
			if err := chromedp.Do(bctx); err != nil {
				t.Fatal(err)
			}
			t1 := time.Now()
			cctx, cancel := context.WithTimeout(bctx, 10*time.Second)
			err := chromedp.Cancel(cctx)
			t2 := time.Now()
			cancel()
			bcancel()
			acancel()
			t.Logf("%s start %s close %s err %v", br.name, t1.Sub(t0), t2.Sub(t1), err)
			os.RemoveAll(d)
		}
	}
}
