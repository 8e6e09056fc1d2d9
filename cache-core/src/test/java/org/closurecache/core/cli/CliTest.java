package org.closurecache.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.closurecache.core.manifest.Ref;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

class CliTest {
  @Command(name = "tool", subcommands = {Sub.class, Prog.class}, version = "tool 1.2")
  static final class Top {}

  @Command(name = "sub", mixinStandardHelpOptions = true)
  static final class Sub implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--count") int count;
    @Option(names = "--size") String size;
    @Option(names = "--ref") Ref ref;
    @Parameters(paramLabel = "REF", arity = "0..*") List<String> refs = List.of();

    @Override
    public Integer call() throws Exception {
      if (size != null && !size.matches("[0-9]+")) {
        throw new ParameterException(spec.commandLine(), "--size: not a size: '" + size + "'");
      }
      RefConverter.convertAll(spec.commandLine(), "REF", refs);
      if (count < 0) {
        throw new java.io.IOException("cannot count below zero");
      }
      return 0;
    }
  }

  @Command(name = "prog", mixinStandardHelpOptions = true)
  static final class Prog implements Callable<Integer>, Cli.ProgramArguments {
    static List<String> seen;
    @Option(names = "--flag") boolean flag;
    @Parameters(paramLabel = "PROGRAM") String program;
    @Parameters(index = "1..*", paramLabel = "ARGS") List<String> args = List.of();

    @Override
    public Integer call() {
      seen = new java.util.ArrayList<>(List.of(String.valueOf(flag), program));
      seen.addAll(args);
      return 0;
    }
  }

  record Run(int status, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Cli.run(new Top(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void programArguments_endTheCommandsOptionsAtThePrograms() {
    Run r = run("prog", "--flag", "/bin/x", "--version", "-h", "--flag");
    assertEquals(0, r.status(), r.err());
    assertEquals(List.of("true", "/bin/x", "--version", "-h", "--flag"), Prog.seen);
    assertEquals("", r.out());
  }

  @Test
  void versionOfASubcommand_isTheTopCommands() {
    Run r = run("sub", "-V");
    assertEquals(0, r.status(), r.err());
    assertEquals("tool 1.2\n", r.out());
  }

  @Test
  void badValueFromTheParser_isOneLineNamingTheCommandAndItsHelp_exit2() {
    Run r = run("sub", "--count", "many");
    assertEquals(2, r.status(), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().startsWith("sub: ") && r.err().contains("'many'") && r.err().contains("(see 'tool sub --help')"),
        r.err());
    assertEquals("", r.out());
  }

  @Test
  void badRef_isAUsageErrorOfOneLineNamingTheValue_exit2() {
    for (String bad : List.of("sha256:abc", "no/such tag", "")) {
      Run r = run("sub", "--ref", bad);
      assertEquals(2, r.status(), r.err());
      assertEquals(1, r.errLines().size(), r.err());
      String line = r.errLines().get(0);
      assertTrue(line.startsWith("sub: Invalid value for option '--ref': ") && line.contains('"' + bad + '"')
          && line.endsWith("(see 'tool sub --help')"), line);
    }
    assertEquals(0, run("sub", "--ref", "python-3.11").status());
  }

  @Test
  void badRefAmongSeveral_isAUsageErrorOfOneLineNamingTheValue_exit2() {
    Run r = run("sub", "python", "sha256:abc", "also bad");
    assertEquals(2, r.status(), r.err());
    assertEquals(List.of("sub: Invalid value for positional parameter REF: \"sha256:abc\" is not a manifest digest:"
        + " \"sha256:\" must be followed by exactly 64 lowercase hex characters (see 'tool sub --help')"), r.errLines());
    assertEquals(0, run("sub", "python", "sha256:" + "ab".repeat(32)).status());
  }

  @Test
  void usageErrorRaisedByTheCommand_isOneLine_exit2() {
    Run r = run("sub", "--size", "12Q");
    assertEquals(2, r.status(), r.err());
    assertEquals(List.of("sub: --size: not a size: '12Q' (see 'tool sub --help')"), r.errLines());
  }

  @Test
  void unknownOption_isOneLineNamingIt_exit2() {
    Run r = run("sub", "--cont", "3");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.errLines().get(0).startsWith("sub: Unknown option") && r.errLines().get(0).contains("'--cont'"),
        r.err());
    assertTrue(r.errLines().size() <= 3, "the line, and at most picocli's suggestions: " + r.err());
  }

  @Test
  void failureOfTheWork_isOneLine_exit1() {
    Run r = run("sub", "--count", "-1");
    assertEquals(1, r.status(), r.err());
    assertEquals(List.of("sub: cannot count below zero"), r.errLines());
  }

  @Test
  void help_stillPrintsTheUsageText() {
    Run r = run("sub", "--help");
    assertEquals(0, r.status());
    assertTrue(r.out().startsWith("Usage: tool sub"), r.out());
  }
}
