from crashsift.cli import app

app(prog_name="crashsift")
