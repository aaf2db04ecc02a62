from prominence_spec.cli import main

raise SystemExit(main())
