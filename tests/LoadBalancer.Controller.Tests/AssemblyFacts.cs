namespace LoadBalancer.Controller.Tests;

public class AssemblyFacts
{
    [Fact]
    public void TestAssemblyLoads() => Assert.Equal("LoadBalancer.Controller.Tests", typeof(AssemblyFacts).Assembly.GetName().Name);
}
