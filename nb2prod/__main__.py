from nb2prod.cli import run

run()
