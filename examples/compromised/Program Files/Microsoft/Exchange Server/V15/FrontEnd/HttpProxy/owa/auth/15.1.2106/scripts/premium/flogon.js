function clkLgn() { return true; }
