package font

// Regenerate the embedded faces (needs: apt-get install xfonts-efont-unicode locales).
//go:generate go run ../../tools/fontgen -in /usr/share/fonts/X11/misc/b12.pcf.gz -charmap /usr/share/i18n/charmaps/EUC-JP.gz -o efont12.bin
//go:generate go run ../../tools/fontgen -in /usr/share/fonts/X11/misc/b16.pcf.gz -charmap /usr/share/i18n/charmaps/EUC-JP.gz -o efont16.bin
