namespace LoadBalancer.Model.Tests;

public class AssemblyFacts
{
    [Fact]
    public void TestAssemblyLoads() => Assert.Equal("LoadBalancer.Model.Tests", typeof(AssemblyFacts).Assembly.GetName().Name);
}
