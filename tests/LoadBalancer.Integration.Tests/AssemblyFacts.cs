namespace LoadBalancer.Integration.Tests;

public class AssemblyFacts
{
    [Fact]
    public void TestAssemblyLoads() => Assert.Equal("LoadBalancer.Integration.Tests", typeof(AssemblyFacts).Assembly.GetName().Name);
}
