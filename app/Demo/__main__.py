from app.Demo.DemoLogging import DemoLogging
from app.Demo.DemoScenario import DemoScenario

DemoLogging.configure()
raise SystemExit(DemoScenario().run())
