namespace LoadBalancer.Speaker.Tests;

public class AssemblyFacts
{
    [Fact]
    public void TestAssemblyLoads() => Assert.Equal("LoadBalancer.Speaker.Tests", typeof(AssemblyFacts).Assembly.GetName().Name);
}
