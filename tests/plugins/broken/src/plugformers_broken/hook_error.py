from plugformers import hookimpl


@hookimpl
def register_architectures(register):
    register("half-registered", config="plugformers_broken.hook_error:Nothing")
    raise ValueError("this plugin is broken on purpose (inside a hook)")


@hookimpl
def register_commands(register):
    register("broken-hello", entry="plugformers_broken.hook_error:hello", help="still works: only the failing hook is dropped")


def hello(argv):
    return 0
