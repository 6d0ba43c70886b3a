// TODO: implemented by its issue; placeholder so the CLI lists the command.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('signal-factory demo: not implemented yet\n');
  return 2;
}
