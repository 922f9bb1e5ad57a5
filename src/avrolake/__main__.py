from avrolake.cli import main

raise SystemExit(main())
